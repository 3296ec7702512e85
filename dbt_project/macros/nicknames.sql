{#- Common given-name variants (nickname <-> formal name) used by the linkage name comparison.
    A general English/Spanish list, not derived from any data set; extend freely (both columns are
    upper-case ASCII as produced by std_name). The comparison treats a pair as a nickname match in
    either direction, and two names as variants when they share a formal name. -#}
{% macro nickname_pairs() -%}
    {%- set pairs = [
        ('ABBY','ABIGAIL'),('ABBIE','ABIGAIL'),('GAIL','ABIGAIL'),('AL','ALBERT'),('ALEX','ALEXANDRA'),
        ('ALEX','ALEXANDER'),('SASHA','ALEXANDRA'),('LEXI','ALEXANDRA'),('ALLIE','ALEXANDRA'),('ALI','ALICIA'),
        ('ALLIE','ALLISON'),('AMY','AMELIA'),('ANDY','ANDREA'),('ANDIE','ANDREA'),('ANNIE','ANN'),('ANNIE','ANNA'),
        ('NANCY','ANN'),('ANNIE','ANNE'),('TONI','ANTONIA'),('TONIA','ANTONIA'),('TONY','ANTHONY'),('TONY','ANTONIO'),
        ('BARB','BARBARA'),('BARBIE','BARBARA'),('BABS','BARBARA'),('BEA','BEATRICE'),('BEA','BEATRIZ'),('BETTY','ELIZABETH'),
        ('BETH','ELIZABETH'),('LIZ','ELIZABETH'),('LIZZIE','ELIZABETH'),('LIZA','ELIZABETH'),('ELIZA','ELIZABETH'),('BETSY','ELIZABETH'),
        ('LISA','ELIZABETH'),('BESS','ELIZABETH'),('ELLIE','ELIZABETH'),('BECKY','REBECCA'),('BECCA','REBECCA'),('BECKY','REBEKAH'),
        ('BONNIE','BONITA'),('BRANDY','BRANDI'),('CANDY','CANDACE'),('CANDY','CANDICE'),('CARRIE','CAROLINE'),('CARRIE','CAROL'),
        ('CARRIE','CAROLYN'),('CARO','CAROLINA'),('CASSIE','CASSANDRA'),('CATHY','CATHERINE'),('CATHY','CATHERINE'),('CATE','CATHERINE'),
        ('KATE','CATHERINE'),('KATIE','CATHERINE'),('KATHY','KATHERINE'),('KATE','KATHERINE'),('KATIE','KATHERINE'),('KAT','KATHERINE'),
        ('KATHY','KATHLEEN'),('KATHY','KATHRYN'),('KATIE','KATHRYN'),('KAY','KATHERINE'),('KIT','KATHERINE'),('CHRIS','CHRISTINA'),
        ('CHRIS','CHRISTINE'),('CHRISSY','CHRISTINA'),('CHRISSY','CHRISTINE'),('TINA','CHRISTINA'),('TINA','CHRISTINE'),('KRIS','KRISTEN'),
        ('KRISTY','KRISTEN'),('KRISTY','KRISTINA'),('CHRIS','CHRISTOPHER'),('CINDY','CYNTHIA'),('CINDY','LUCINDA'),('CONNIE','CONSTANCE'),
        ('CONNIE','CONSUELO'),('CHELO','CONSUELO'),('DANI','DANIELLE'),('DANNY','DANIEL'),('DAN','DANIEL'),('DEB','DEBORAH'),
        ('DEBBIE','DEBORAH'),('DEBBIE','DEBRA'),('DEB','DEBRA'),('DEE','DEIDRE'),('DEE','DELORES'),('LOLA','DOLORES'),
        ('LOLITA','DOLORES'),('DOLLY','DOROTHY'),('DOT','DOROTHY'),('DOTTIE','DOROTHY'),('DOT','DOROTHEA'),('ED','EDWARD'),
        ('EDDIE','EDWARD'),('ELLIE','ELEANOR'),('NELL','ELEANOR'),('NELLIE','ELEANOR'),('ELLIE','ELENA'),('LENA','ELENA'),
        ('EMMY','EMILY'),('EM','EMILY'),('EMMA','EMILY'),('GENE','EUGENIA'),('EVIE','EVELYN'),('EVE','EVELYN'),
        ('FRAN','FRANCES'),('FRANNIE','FRANCES'),('FRANKIE','FRANCES'),('PANCHA','FRANCISCA'),('PAQUITA','FRANCISCA'),('FRANK','FRANCIS'),
        ('GABBY','GABRIELA'),('GABBY','GABRIELLE'),('GABY','GABRIELA'),('GEN','GENEVIEVE'),('GINA','GEORGINA'),('GINA','REGINA'),
        ('GINNY','VIRGINIA'),('GINGER','VIRGINIA'),('GWEN','GWENDOLYN'),('HATTIE','HARRIET'),('HELEN','ELLEN'),('NELL','HELEN'),
        ('IZZY','ISABEL'),('ISA','ISABEL'),('BELLA','ISABEL'),('IZZY','ISABELLA'),('BELLA','ISABELLA'),('CHABELA','ISABEL'),
        ('JACKIE','JACQUELINE'),('JACKY','JACQUELINE'),('JAN','JANET'),('JAN','JANICE'),('JANIE','JANE'),('JEN','JENNIFER'),
        ('JENNY','JENNIFER'),('JENNI','JENNIFER'),('JENN','JENNIFER'),('JESS','JESSICA'),('JESSIE','JESSICA'),('JESSY','JESSICA'),
        ('JILL','GILLIAN'),('JO','JOANNE'),('JO','JOANNA'),('JO','JOSEPHINE'),('JOSIE','JOSEPHINE'),('JOSIE','JOSEFINA'),
        ('FINA','JOSEFINA'),('PEPA','JOSEFA'),('JOJO','JOSEPHINE'),('JUDY','JUDITH'),('JUDE','JUDITH'),('JULIE','JULIA'),
        ('JULIE','JULIANA'),('JULES','JULIA'),('KIM','KIMBERLY'),('KIMMY','KIMBERLY'),('LAURIE','LAURA'),('LORI','LORRAINE'),
        ('LORI','LAURA'),('LEE','LEIGH'),('LILY','LILLIAN'),('LIL','LILLIAN'),('LINDY','LINDA'),('LOU','LOUISE'),
        ('LULU','LOURDES'),('LUCY','LUCILLE'),('LUCY','LUCIA'),('LUZ','LUCIA'),('MAGGIE','MARGARET'),('MEG','MARGARET'),
        ('PEGGY','MARGARET'),('MARGE','MARGARET'),('MARGIE','MARGARET'),('GRETA','MARGARET'),('MADDIE','MADELINE'),('MADDY','MADISON'),
        ('MANDY','AMANDA'),('MANDY','MIRANDA'),('MANDI','AMANDA'),('MARI','MARIA'),('MARIA','MARY'),('MOLLY','MARY'),
        ('POLLY','MARY'),('MAMIE','MARY'),('MARYANN','MARY'),('MARISA','MARIA'),('MARU','MARIA'),('MAYTE','MARIA'),
        ('CHARO','ROSARIO'),('LUPE','GUADALUPE'),('LUPITA','GUADALUPE'),('MEL','MELISSA'),('MISSY','MELISSA'),('LISSA','MELISSA'),
        ('MEL','MELANIE'),('MICKEY','MICHELLE'),('SHELLY','MICHELLE'),('SHELLEY','MICHELLE'),('MICHELE','MICHELLE'),('MIKE','MICHAEL'),
        ('MANDY','AMANDA'),('MINDY','MELINDA'),('MINNIE','MINERVA'),('NANCY','ANNE'),('NAT','NATALIE'),('NATTY','NATALIE'),
        ('TASHA','NATASHA'),('NATY','NATALIA'),('NICKY','NICOLE'),('NIKKI','NICOLE'),('NICKI','NICOLE'),('NIKKI','NICOLETTE'),
        ('PAM','PAMELA'),('PAT','PATRICIA'),('PATTY','PATRICIA'),('PATSY','PATRICIA'),('TRISH','PATRICIA'),('TRISHA','PATRICIA'),
        ('PATTI','PATRICIA'),('PAULA','PAULINE'),('PENNY','PENELOPE'),('PRISCILLA','PRISSY'),('RACH','RACHEL'),('RAE','RACHEL'),
        ('RAMONA','MONA'),('RITA','MARGARITA'),('MARGIE','MARGARITA'),('ROBBIE','ROBERTA'),('BOBBIE','ROBERTA'),('ROBIN','ROBERTA'),
        ('RONNIE','VERONICA'),('RONI','VERONICA'),('VERO','VERONICA'),('ROSIE','ROSA'),('ROSIE','ROSE'),('ROSIE','ROSEMARY'),
        ('ROXY','ROXANNE'),('ROXIE','ROXANNE'),('SALLY','SARAH'),('SADIE','SARAH'),('SARA','SARAH'),('SAM','SAMANTHA'),
        ('SAMMY','SAMANTHA'),('SANDY','SANDRA'),('SANDY','ALEXANDRA'),('SANDI','SANDRA'),('SHERRY','SHARON'),('SHERI','SHERYL'),
        ('STEPH','STEPHANIE'),('STEVIE','STEPHANIE'),('SUE','SUSAN'),('SUSIE','SUSAN'),('SUZY','SUSAN'),('SUE','SUZANNE'),
        ('SUZY','SUZANNE'),('SUSIE','SUSANA'),('TAMMY','TAMARA'),('TAMMY','TAMMIE'),('TERRI','TERESA'),('TERRY','TERESA'),
        ('TESS','TERESA'),('TESSA','TERESA'),('TERE','TERESA'),('TRACY','TERESA'),('THERESA','TERESA'),('TERRI','THERESA'),
        ('TESS','THERESA'),('TORI','VICTORIA'),('VICKY','VICTORIA'),('VICKI','VICTORIA'),('VIKKI','VICTORIA'),('VAL','VALERIE'),
        ('VAL','VALENTINA'),('VIV','VIVIAN'),('WENDY','GWENDOLYN'),('WINNIE','WINIFRED'),('YOLIE','YOLANDA'),('YOLI','YOLANDA'),
        ('ZOE','ZOEY'),('BILL','WILLIAM'),('WILL','WILLIAM'),('BOB','ROBERT'),('ROB','ROBERT'),('JIM','JAMES'),('JIMMY','JAMES'),
        ('JOE','JOSEPH'),('JOEY','JOSEPH'),('PEPE','JOSE'),('CHUY','JESUS'),('NACHO','IGNACIO'),('PACO','FRANCISCO'),('PANCHO','FRANCISCO'),
        ('RICK','RICHARD'),('DICK','RICHARD'),('RICH','RICHARD'),('TOM','THOMAS'),('TOMMY','THOMAS'),('DAVE','DAVID'),('STEVE','STEVEN'),
        ('STEVE','STEPHEN'),('JOHNNY','JOHN'),('JACK','JOHN'),('JON','JONATHAN'),('NICK','NICHOLAS'),('MATT','MATTHEW'),('SAM','SAMUEL'),
        ('BEN','BENJAMIN'),('GREG','GREGORY'),('JEFF','JEFFREY'),('KEN','KENNETH'),('LARRY','LAWRENCE'),('PETE','PETER'),('RAY','RAYMOND'),
        ('RON','RONALD'),('TIM','TIMOTHY'),('WALT','WALTER'),('HANK','HENRY'),('HARRY','HENRY'),('CHARLIE','CHARLES'),('CHUCK','CHARLES'),
        ('LETTY','LETICIA'),('LETI','LETICIA'),('ADA','ADELAIDE'),('ADDIE','ADELINE'),('ANGIE','ANGELA'),('ANGIE','ANGELICA'),
        ('ANITA','ANA'),('ANA','ANNA'),('ANNETTE','ANN'),('BERNIE','BERNADETTE'),('BRI','BRIANNA'),('BRIE','BRIANNA'),
        ('CECE','CECILIA'),('CECI','CECILIA'),('CHARLIE','CHARLOTTE'),('LOTTIE','CHARLOTTE'),('CHARLIE','CHARLENE'),('CLAIRE','CLARA'),
        ('DESI','DESIREE'),('DIDI','DIANA'),('DI','DIANA'),('DI','DIANE'),('EFFIE','EUPHEMIA'),('ELSIE','ELSA'),
        ('ESTHER','HESTER'),('ETTA','HENRIETTA'),('ETTIE','HENRIETTA'),('FLO','FLORENCE'),('FLOR','FLORENCIA'),('FREDA','FREDERICA'),
        ('GERRY','GERALDINE'),('GERI','GERALDINE'),('GLORIA','GLORY'),('GRACIE','GRACE'),('GRACIE','ENGRACIA'),('HOLLY','HOLLIS'),
        ('IRENE','RENA'),('JEANIE','JEAN'),('JEANNIE','JEANNE'),('JOANIE','JOAN'),('KARIN','KAREN'),('KARRIE','KAREN'),
        ('KELLY','KELLIE'),('KERRI','KERRY'),('LACY','LACEY'),('LEAH','LEA'),('LETA','VIOLETTA'),('LIBBY','ELIZABETH'),
        ('LINDSEY','LINDSAY'),('LOLA','CARLOTA'),('LORI','DOLORES'),('LUISA','LOUISA'),('LULA','TALLULAH'),('MAE','MARY'),
        ('MARCY','MARCIA'),('MARCIE','MARCELLA'),('MARTY','MARTHA'),('MATTIE','MATILDA'),('TILLY','MATILDA'),('MAUDE','MATILDA'),
        ('MAXINE','MAX'),('MERCY','MERCEDES'),('MECHE','MERCEDES'),('MILLIE','MILDRED'),('MILLIE','CAMILLE'),('MILLY','CAMILA'),
        ('MIRI','MIRIAM'),('MITZI','MARIA'),('MOE','MAUREEN'),('MO','MAUREEN'),('NAN','NANCY'),('NORA','HONORA'),
        ('NORA','ELEANOR'),('OLLIE','OLIVIA'),('LIV','OLIVIA'),('LIVVY','OLIVIA'),('PAT','PATRICE'),('PERLA','PEARL'),
        ('RENE','IRENE'),('RENEE','IRENE'),('RHONDA','RONDA'),('RICKI','ERICA'),('RIKKI','ERIKA'),('ERICA','ERIKA'),
        ('ROSA','ROSALIND'),('ROZ','ROSALIND'),('RUTHIE','RUTH'),('SHARI','SHARON'),('SHAY','SHAYLA'),('SOFI','SOFIA'),
        ('SOPHIE','SOPHIA'),('STACY','ANASTASIA'),('STACEY','ANASTASIA'),('STACY','EUSTACIA'),('TAYLOR','TAYLA'),('TEDDIE','THEODORA'),
        ('THEA','DOROTHEA'),('TRINA','KATRINA'),('TRIXIE','BEATRIX'),('TRUDY','GERTRUDE'),('VERA','VERONICA'),('VI','VIOLET'),
        ('VONNIE','YVONNE'),('WILLA','WILHELMINA'),('MINA','WILHELMINA'),('XIMENA','JIMENA'),('YESSI','YESENIA'),('ZOILA','ZOILE')
    ] -%}
    select * from (values
    {%- for nick, formal in pairs | unique %}
        ('{{ nick }}', '{{ formal }}'){{ "," if not loop.last }}
    {%- endfor %}
    ) as t(nickname, formal_name)
{%- endmacro %}

{#- The CTEs the name comparisons share, over a CTE `source_cte` with squashed name columns
    `first_sq` and `last_sq`: first_tf / last_tf (how common each name is, for the frequency-weighted
    exact-name agreement) and name_variants (nickname <-> formal name, and two nicknames of one
    formal name). Emits `first_tf as (...), last_tf as (...), nicknames as (...), name_variants as (...)`. -#}
{% macro name_frequency_and_variant_ctes(source_cte) -%}
first_tf as (
    select first_sq, count(*) / sum(count(*)) over () as tf from {{ source_cte }} where first_sq is not null group by 1
),

last_tf as (
    select last_sq, count(*) / sum(count(*)) over () as tf from {{ source_cte }} where last_sq is not null group by 1
),

nicknames as (
    {{ nickname_pairs() }}
),

name_variants as (
    select nickname as a, formal_name as b from nicknames
    union select formal_name, nickname from nicknames
    union select n1.nickname, n2.nickname from nicknames as n1 join nicknames as n2 using (formal_name)
    where n1.nickname <> n2.nickname
)
{%- endmacro %}
